"""The web console under ``/_profilestack/console/``: a read-only look at an account's Customer Profiles domains,
their profiles and service-linked roles, and the audit trail, for someone signed in with an access key.

Every page is made of AWS calls that go through the gateway in process as the signed-in principal, so that
IAM decides what the console shows and the audit trail records it, as it would for the AWS CLI.
"""

ROOT = "/_profilestack/console"  # here, not in pages.py: the server routes to it without loading Jinja2
