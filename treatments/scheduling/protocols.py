"""Protocol defaults from the clinical reference (§2.1 sessions and intervals, §2.2 starting
device settings by area, §2.3 slot length). Seeded by a data migration; the manager edits them.

Each depth range is {"start": [low, high], "flag_above": mm}: the starting setting and the
setting above which the chart flags the value for the practitioner's attention.
"""

THIN_FACE = {"start": [0.25, 0.5], "flag_above": 1.0}  # forehead, temple, nose, periorbital
MID_FACE = {"start": [0.5, 1.5], "flag_above": 1.5}  # cheeks, perioral, chin: rejuvenation
SCAR_FACE = {"start": [1.0, 2.0], "flag_above": 2.0}  # cheeks or temples with acne scars
NECK = {"start": [0.5, 1.0], "flag_above": 1.5}
BODY_STRIAE = {"start": [1.5, 2.0], "flag_above": 2.5}
PIGMENT = {"start": [0.25, 1.5], "flag_above": 1.5}

_REJUVENATION = {
    "forehead": THIN_FACE,
    "periorbital": THIN_FACE,
    "nose": THIN_FACE,
    "cheeks": MID_FACE,
    "perioral": MID_FACE,
    "chin": MID_FACE,
    "jawline": MID_FACE,
    "neck": NECK,
    "decolletage": NECK,
}

DEFAULT_PROTOCOLS = [
    {
        "indication": "acne_scars",
        "name": "Atrophic acne scars",
        "default_sessions": 4,
        "default_interval_days": 28,
        "min_interval_days": 14,
        "session_minutes": 120,
        "depth_ranges": {
            **_REJUVENATION,
            "cheeks": SCAR_FACE,
            "jawline": SCAR_FACE,
        },
        "notes": "SkinPen pivotal trial: 3 treatments one month apart; 3-6 sessions common.",
    },
    {
        "indication": "fine_lines",
        "name": "Fine lines and wrinkles",
        "default_sessions": 4,
        "default_interval_days": 28,
        "min_interval_days": 14,
        "session_minutes": 120,
        "depth_ranges": _REJUVENATION,
        "notes": "Ablon 2018: 4 sessions 30 days apart.",
    },
    {
        "indication": "texture",
        "name": "Texture and photoageing",
        "default_sessions": 3,
        "default_interval_days": 28,
        "min_interval_days": 14,
        "session_minutes": 120,
        "depth_ranges": _REJUVENATION,
        "notes": "3-4 sessions about 4 weeks apart.",
    },
    {
        "indication": "stretch_marks",
        "name": "Stretch marks",
        "default_sessions": 4,
        "default_interval_days": 28,
        "min_interval_days": 14,
        "session_minutes": 90,
        "depth_ranges": {
            area: BODY_STRIAE for area in ("abdomen", "thighs", "buttocks", "arms", "back")
        },
        "notes": "3-5 sessions 4 weeks apart (Alster & Li 2020).",
    },
    {
        "indication": "pigmentation",
        "name": "Pigmentation or melasma",
        "default_sessions": 4,
        "default_interval_days": 28,
        "min_interval_days": 14,
        "session_minutes": 120,
        "depth_ranges": {area: PIGMENT for area in _REJUVENATION},
        "notes": "Always with sunscreen and topical therapy; flag Fitzpatrick IV-VI.",
    },
]


def seed_protocols(Protocol) -> int:  # noqa: N803 - a model class, also the historical one
    """Create the default protocols that do not exist yet; never overwrite the manager's edits."""
    created = 0
    for spec in DEFAULT_PROTOCOLS:
        fields = {k: v for k, v in spec.items() if k != "indication"}
        _, was_created = Protocol.objects.get_or_create(
            indication=spec["indication"], defaults=fields
        )
        created += was_created
    return created
