"""PARTAJ backend: public forms (CFA rupture reports, referrals to the CTL), later the coordinators' tools."""

__version__ = "0.1.0"
