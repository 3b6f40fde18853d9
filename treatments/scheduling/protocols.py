"""Protocol defaults from the clinical reference (§2.1 sessions and intervals, §2.2 starting
device settings by area, §2.3 slot length). Seeded by a data migration; the manager edits them.

Each depth range is {"start": [low, high], "flag_above": mm, "max": mm}: the starting setting,
the setting above which the chart needs the practitioner's written reason, and the most the
chart accepts at all. No maximum is above 2.5 mm (§2.2: outside the SkinPen range); thin facial
skin is far lower (dermis about 0.6-1.2 mm, epidermis about 0.2 mm, §2.2 table).
"""

from decimal import Decimal

MAX_DEPTH_MM = Decimal("2.5")

# Periorbital skin: the thinnest dermis treated (eyelid 0.58-0.67 mm next to it), so the flag
# is the ceiling. Forehead, temple and nose: dermis 0.86-1.17 mm plus epidermis.
PERIORBITAL = {"start": [0.25, 0.5], "flag_above": 1.0, "max": 1.0}
THIN_FACE = {"start": [0.25, 0.5], "flag_above": 1.0, "max": 1.5}  # forehead, temple, nose
MID_FACE = {"start": [0.5, 1.5], "flag_above": 1.5, "max": 2.0}  # cheeks, perioral, chin
SCAR_FACE = {"start": [1.0, 2.0], "flag_above": 2.0, "max": 2.5}  # cheeks, temples: acne scars
NECK = {"start": [0.5, 1.0], "flag_above": 1.5, "max": 1.5}  # dermis about 0.98 mm
BODY_STRIAE = {"start": [1.5, 2.0], "flag_above": 2.5, "max": 2.5}
PIGMENT = {"start": [0.25, 1.5], "flag_above": 1.5, "max": 2.0}

_REJUVENATION = {
    "forehead": THIN_FACE,
    "periorbital": PERIORBITAL,
    "nose": THIN_FACE,
    "cheeks": MID_FACE,
    "perioral": MID_FACE,
    "chin": MID_FACE,
    "jawline": MID_FACE,
    "neck": NECK,
    "decolletage": NECK,
}


def _within(spec: dict, area: dict) -> dict:
    """`spec` lowered to what `area`'s skin allows: pigment settings on thin skin stay thin."""
    cap = min(spec["max"], area["max"])
    return {
        "start": [min(v, area["start"][1]) if cap < spec["max"] else v for v in spec["start"]],
        "flag_above": min(spec["flag_above"], area["flag_above"]),
        "max": cap,
    }


def depth_range_errors(ranges: dict) -> list[str]:
    """What is wrong with a protocol's depth ranges: every area needs a maximum of at most
    2.5 mm and a flag at or below it (clinical reference §2.2)."""
    errors = []
    if not isinstance(ranges, dict):
        return ["Depth ranges map each area to its start, flag and maximum."]
    for area, spec in ranges.items():
        try:
            top = Decimal(str(spec["max"]))
            flag = Decimal(str(spec["flag_above"]))
        except (KeyError, TypeError, ArithmeticError):
            errors.append(f"{area}: give a numeric flag_above and max in mm.")
            continue
        if not Decimal("0") < top <= MAX_DEPTH_MM:
            errors.append(f"{area}: the maximum is at most {MAX_DEPTH_MM} mm (§2.2).")
        if flag > top:
            errors.append(f"{area}: flag_above ({flag} mm) must not exceed max ({top} mm).")
    return errors


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
        "depth_ranges": {area: _within(PIGMENT, r) for area, r in _REJUVENATION.items()},
        "notes": "Always with sunscreen and topical therapy; flag Fitzpatrick IV-VI.",
    },
]


def seed_protocols(Protocol) -> int:  # noqa: N803 - a model class, also the historical one
    """Create the default protocols that do not exist yet; never overwrite the manager's edits
    (an indication with any version, current or not, is left alone)."""
    created = 0
    for spec in DEFAULT_PROTOCOLS:
        if not Protocol.objects.filter(indication=spec["indication"]).exists():
            Protocol.objects.create(**spec)
            created += 1
    return created
