"""What the simulated people type themselves: data of the demo's script, in both languages.

The bot's side of every chat comes from the real application; only these texts (and the
numbers the workers answer) are made up.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.demo.world import Bilingual


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """An incident a worker reports: its category key in the form, a description, urgency."""

    category: str
    description: Bilingual
    urgent: bool


URGENT_INCIDENT = IncidentLine(
    "suspected",
    (
        "10:05 5号楼2单元 林某某 返乡后发热38.5℃、咳嗽，核酸初筛阳性，"
        "已居家等待120转运，已上报疾控",
        "10:05 Bldg 5 Unit 2, Ms L. back from travel, 38.5 °C and cough, rapid test positive;"
        " waiting at home for the ambulance, CDC informed",
    ),
    urgent=True,
)
ORDINARY_INCIDENTS = (
    IncidentLine(
        "equipment",
        (
            "3号楼门口宣传喇叭线路被剪断，已联系物业维修",
            "The loudspeaker cable at Bldg 3's gate was cut; property management is fixing it",
        ),
        urgent=False,
    ),
    IncidentLine(
        "gathering",
        (
            "8号楼 张某某 家办寿宴约15人，已劝散并登记",
            "Birthday banquet of about 15 people at Bldg 8 (Mr Z.); dispersed and recorded",
        ),
        urgent=False,
    ),
)
DIFFICULTIES: tuple[Bilingual, ...] = (
    ("消毒液只够用两天了，请街道协调补充", "Disinfectant lasts two more days; please resupply"),
    ("口罩库存不足100个", "Fewer than 100 masks left in stock"),
    ("夜间卡口缺1名志愿者", "One volunteer short at the night checkpoint"),
)
CORRECTION_REASON: Bilingual = (
    "下午补查了3号楼，漏报了30人",
    "Checked Bldg 3 this afternoon: 30 people were left out",
)
PLACEHOLDER = "x"
"""What a worker in a hurry types instead of a number (the bot refuses it)."""
