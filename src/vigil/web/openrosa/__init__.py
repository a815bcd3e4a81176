"""OpenRosa: the protocol ODK Collect, KoBoCollect and Enketo speak."""
