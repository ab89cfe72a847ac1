"""PARTAJ backend: public forms (CFA rupture reports, referrals to the CTL) and, later, the coordinators' tools."""

__version__ = "0.1.0"
