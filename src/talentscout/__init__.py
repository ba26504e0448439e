"""talentscout: self-hostable candidate sourcing & enrichment service."""

__version__ = "0.1.0"
