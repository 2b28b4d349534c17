"""The OCOP programme's own vocabulary: groups, entity kinds, certifications, statuses.

Labels live in the i18n catalogs under the keys built here, so this module
holds identifiers only.
"""

from __future__ import annotations

from enum import StrEnum

# Decision 148/2023/QĐ-TTg: six product groups and their subgroups.
GROUPS: dict[str, tuple[str, ...]] = {
    "food": ("fresh", "raw_processed", "processed", "condiments", "tea", "coffee_cocoa"),
    "beverages": ("alcoholic", "non_alcoholic"),
    "herbal": ("herbal_medicine", "herbal_cosmetics", "essential_oils"),
    "handicrafts": ("crafts_household", "textiles"),
    "ornamental": ("flowers", "plants", "animals"),
    "tourism": ("tourism_services",),
}
# Groups whose products are eaten or drunk: ingredients and a food-safety
# facility certificate apply to them.
CONSUMABLE_GROUPS = frozenset({"food", "beverages", "herbal"})

ENTITY_KINDS = ("household", "cooperative", "coop_group", "enterprise")

CERTIFICATIONS = ("vietgap", "globalgap", "haccp", "iso22000", "organic", "food_safety")


class ReviewStatus(StrEnum):
    """A product's officer review: draft → pending → approved | changes_requested (→ pending …)."""

    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class ListingStatus(StrEnum):
    """Where a product stands on one marketplace (`listings.status`)."""

    NOT_STARTED = "not_started"
    PREPARING = "preparing"
    SUBMITTED = "submitted"
    LIVE = "live"
    REJECTED = "rejected"
    PAUSED = "paused"


LISTING_STATUSES = tuple(ListingStatus)

CERTIFICATE_MONTHS = 36
CERTIFIED_MIN_STARS = 3


def group_key(group: str) -> str:
    return f"group.{group}"


def subgroup_key(subgroup: str) -> str:
    return f"subgroup.{subgroup}"


def kind_key(kind: str) -> str:
    return f"kind.{kind}"


def cert_key(cert: str) -> str:
    return f"cert.{cert}"


def listing_key(status: ListingStatus) -> str:
    return f"listing.{status}"
