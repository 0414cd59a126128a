"""The IAM policy engine: documents, matching, conditions and AWS's evaluation logic. No HTTP, no storage."""
