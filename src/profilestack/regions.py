"""What a region's name may be. One endpoint serves every region, AWS's or made up ("local"), as long as its name is
spelled like one: lower-case letters, digits and inner hyphens, at most 32 characters, as every region column
holds."""

from __future__ import annotations

import re

REGION_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")


def is_region_name(text: str) -> bool:
    return REGION_NAME.fullmatch(text) is not None
