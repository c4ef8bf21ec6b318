"""The tab styles (``CustomTab.motif``) an org accepts.

The Metadata API's CustomTab ``motif`` is "the tab style for the color scheme and
icon" and takes one of Salesforce's fixed tab styles, written ``CustomN: Name``
(Metadata API Developer Guide, "CustomTab"). The list below is the one
Salesforce's own sf CLI uses to generate tabs: salesforcecli/plugin-sobject,
``src/commands/schema/generate/tab.ts`` (``tabDefs``, BSD-3-Clause), the same
styles Setup's tab-style picker shows. ``Custom57: Building`` is not one of
them: 57 is "Building Block", the building is 24.

Orgs accept motifs beyond this list (the NPSP package ships "Custom41: Stack of
Cash", SalesforceFoundation/NPSP ``src/tabs/npe01__OppPayment__c.tab``), so the
emulator does not refuse one that is not here; the product keeps to the list.
"""

from __future__ import annotations

MOTIF_NAMES = {
    1: "Heart", 2: "Fan", 3: "Sun", 4: "Hexagon", 5: "Leaf", 6: "Triangle", 7: "Square",
    8: "Diamond", 9: "Lightning", 10: "Moon", 11: "Star", 12: "Circle", 13: "Box",
    14: "Hands", 15: "People", 16: "Bank", 17: "Sack", 18: "Form", 19: "Wrench",
    20: "Airplane", 21: "Computer", 22: "Telephone", 23: "Envelope", 24: "Building",
    25: "Alarm clock", 26: "Flag", 27: "Laptop", 28: "Cell phone", 29: "PDA",
    30: "Radar dish", 31: "Car", 32: "Factory", 33: "Desk", 34: "Insect", 35: "Microphone",
    36: "Train", 37: "Bridge", 38: "Camera", 39: "Telescope", 40: "Credit card",
    41: "Cash", 42: "Treasure chest", 43: "Jewel", 44: "Hammer", 45: "Ticket",
    46: "Stamp", 47: "Knight", 48: "Trophy", 49: "CD/DVD", 50: "Big top", 51: "Apple",
    52: "Balls", 53: "Bell", 54: "Boat", 55: "Books", 56: "Bottle", 57: "Building Block",
    58: "Caduceus", 59: "Can", 60: "Umbrella", 61: "Castle", 62: "Chalkboard", 63: "Chip",
    64: "Compass", 65: "Cup", 66: "Dice", 67: "Gears", 68: "Globe", 69: "Guitar",
    70: "Handsaw", 71: "Headset", 72: "Helicopter", 73: "Highway Sign",
    74: "Hot Air Balloon", 75: "IP Phone", 76: "Keys", 77: "Locked", 78: "Map",
    79: "Measuring Tape", 80: "Motorcycle", 81: "Musical Note", 82: "Whistle",
    83: "Pencil", 84: "Presenter", 85: "Real Estate Sign", 86: "Red Cross", 87: "Safe",
    88: "Sailboat", 89: "Saxophone", 90: "Scales", 91: "Shield", 92: "Ship",
    93: "Shopping Cart", 94: "Stethoscope", 95: "Stopwatch", 96: "Street Sign",
    97: "Thermometer", 98: "Truck", 99: "TV CRT", 100: "TV Widescreen",
}  # fmt: skip

MOTIFS = frozenset(f"Custom{number}: {name}" for number, name in MOTIF_NAMES.items())


def is_motif(value: str) -> bool:
    return value in MOTIFS
