"""PARTAJ backend: the public forms (CFA rupture reports, referrals to the CTL), the coordinators' accounts,
tracking table, exports and audit journal. See docs/architecture.md for the layout."""

__version__ = "0.1.0"
