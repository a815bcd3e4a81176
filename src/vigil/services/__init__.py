"""Use cases named as verbs: the only writers, the one access gate, audit beside each write."""
