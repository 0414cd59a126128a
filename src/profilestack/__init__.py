"""profilestack: Amazon Connect Customer Profiles and the IAM machinery it stands on, self-hosted."""

__version__ = "0.1.0"
