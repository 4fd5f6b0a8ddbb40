"""The vocabularies of the beyond-use-date rule (where a CSP is made, how it is kept, its
category), kept apart so that the command line can offer them without loading the rule."""

from __future__ import annotations

import enum


class Environment(enum.StrEnum):
    """Where a CSP is compounded."""

    #: no ISO Class 5 primary engineering control
    UNCLASSIFIED = "unclassified"
    #: an ISO Class 5 PEC in a segregated compounding area
    SEGREGATED_COMPOUNDING_AREA = "segregated_compounding_area"
    #: an ISO Class 5 PEC in an ISO Class 7 buffer room of a cleanroom suite
    CLEANROOM_SUITE = "cleanroom_suite"


class Storage(enum.StrEnum):
    """How the CSP is stored until used."""

    CONTROLLED_ROOM_TEMPERATURE = "controlled_room_temperature"
    REFRIGERATOR = "refrigerator"
    FREEZER = "freezer"


class Category(enum.StrEnum):
    """The chapter's categories of CSPs, by how long they may be kept."""

    IMMEDIATE_USE = "immediate_use"
    CATEGORY_1 = "category_1"
    CATEGORY_2 = "category_2"


__all__ = ["Category", "Environment", "Storage"]
