"""The demo scenario: the 10 November 2020 trilateral statement on Nagorno-Karabakh."""
