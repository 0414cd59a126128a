"""The simulator's PolicyExclusionList on its own: what each kind of entry leaves out, and what is refused (boto3
refuses an entry naming two things before sending it; other clients may not)."""

from __future__ import annotations

import pytest

from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.document import parse_policy
from profilestack.iam_policy.engine import Policy
from profilestack.services.iam.policy_exclusions import exclusions

DOCUMENT = parse_policy('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", '
                        '"Resource": "*"}]}')
INLINE = Policy("reads", "user", DOCUMENT)
MANAGED = Policy("arn:aws:iam::111122223333:policy/queue-writer", "user-managed", DOCUMENT)


@pytest.mark.parametrize(("entry", "inline_kept", "managed_kept"), [
    ({"PolicyType": "inline"}, False, True),
    ({"PolicyType": "user-managed"}, True, False),
    ({"PolicyType": "scp"}, True, True),
    ({"PolicyArn": "arn:aws:iam::111122223333:policy/queue-*"}, True, False),
    ({"PolicyArn": "arn:aws:iam::111122223333:policy/queue-write?"}, True, False),
    ({"PolicyArn": "arn:aws:iam::111122223333:policy/queue"}, True, True),
    ({"InlinePolicyIdentifier": {"PolicyName": "reads", "AttachmentType": "user", "AttachmentName": "alice"}},
     False, True),
    ({"InlinePolicyIdentifier": {"PolicyName": "reads", "AttachmentType": "user", "AttachmentName": "bob"}},
     True, True),
])
def test_each_kind_of_entry_leaves_out_what_it_names(entry: dict, inline_kept: bool, managed_kept: bool) -> None:
    keep = exclusions([entry]).keep
    assert (keep(INLINE, "user", "alice"), keep(MANAGED, "group", "admins")) == (inline_kept, managed_kept)


@pytest.mark.parametrize("entry", [
    {"PolicyType": "inline", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
    {},
    {"PolicyArn": "arn:aws:iam::*:policy/x"},
    {"PolicyArn": "arn:aws:iam::111122223333:policy/a*b*"},
    {"PolicyArn": "arn:aws:iam::111122223333:role/x"},
])
def test_an_entry_naming_not_exactly_one_policy_kind_or_a_bad_arn_is_refused(entry: dict) -> None:
    with pytest.raises(AwsError) as raised:
        exclusions([entry])
    assert raised.value.code == "InvalidInput"
