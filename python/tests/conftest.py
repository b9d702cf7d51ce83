"""Shared fixtures: the Suzhou network of examples/suzhou/network.rs, built through the
Python API in a file registry whose clock is fixed at 2024-12-31."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

import shiliu

TODAY = "2024-12-31"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A valid 18-character ID number (GB 11643-1999) from its first 17 digits."""
    assert len(first17) == 17 and first17.isdigit()
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def rows(table: Any) -> list[dict[str, Any]]:
    """A result table (a pandas DataFrame) as a list of plain dicts."""
    out: list[dict[str, Any]] = table.to_dict("records")
    return out


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> Path:
    """A minimal XLSX workbook (inline strings only) written with the standard library:
    openpyxl is not a test dependency."""

    def col(n: int) -> str:
        name = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            name = chr(65 + r) + name
        return name

    def sheet_xml(table: Sequence[Sequence[str]]) -> str:
        body = []
        for i, row in enumerate(table, 1):
            cells = "".join(
                f'<c r="{col(c)}{i}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                for c, v in enumerate(row)
                if v != ""
            )
            body.append(f'<row r="{i}">{cells}</row>')
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{''.join(body)}</sheetData></worksheet>"
        )

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    n = len(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, (name, _) in enumerate(sheets, 1)
            )
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{pkg}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + "</Relationships>",
        )
        for i, (_, table) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(table))
    return path


@dataclass(frozen=True)
class Suzhou:
    """Ids of the units, bodies, posts and people the tests talk about."""

    path: Path
    city: int
    canglang: int
    pingjiang: int
    jinchang: int
    gusu: int
    fuqian: int
    nanmen: int
    daoqian: int
    jinfan: int
    south_area: int
    north_area: int
    pingjianglu: int
    fuqian_group: int
    leader_post: int
    deputy_post: int
    member_posts: tuple[int, ...]
    leader: int
    """张明, 组长 and 街道党工委书记 of 府前街道."""
    member_memberships: tuple[int, ...]
    south_head_post: int


def build_suzhou(reg: shiliu.Registry, path: Path) -> Suzhou:
    """Records the network like examples/suzhou/network.rs (one write per call)."""
    city = reg.add_unit(kind="city", name="苏州市", code="320500", valid_from="1983-01-18")
    canglang = reg.add_unit(kind="district", name="沧浪区", code="320502", parent=city, valid_from="1983-01-18")
    pingjiang = reg.add_unit(kind="district", name="平江区", code="320503", parent=city, valid_from="1983-01-18")
    jinchang = reg.add_unit(kind="district", name="金阊区", code="320504", parent=city, valid_from="1983-01-18")
    fuqian = reg.add_unit(kind="street", name="府前街道", parent=canglang, valid_from="1983-01-18")
    nanmen = reg.add_unit(kind="街道", name="南门街道", parent=canglang, valid_from="1983-01-18")
    south = reg.add_unit(kind="area", name="南片", parent=fuqian, valid_from="2002-01-01")
    north = reg.add_unit(kind="联络片", name="北片", parent=fuqian, valid_from="2002-01-01")
    daoqian = reg.add_unit(kind="community", name="道前社区", parent=fuqian, valid_from="2000-01-01")
    jinfan = reg.add_unit(kind="社区", name="锦帆路社区", parent=fuqian, valid_from="2000-01-01")
    reg.set_parent(daoqian, "working", south, "2002-01-01")
    reg.set_parent(jinfan, "working", north, "2002-01-01")
    pingjianglu = reg.add_unit(kind="street", name="平江路街道", parent=pingjiang, valid_from="1983-01-18")
    reg.add_unit(kind="street", name="观前街道", parent=pingjiang, valid_from="1983-01-18")
    reg.add_unit(kind="street", name="石路街道", parent=jinchang, valid_from="1983-01-18")

    since = "2002-03-01"
    group = reg.add_body(unit=fuqian, kind="领导小组", name="府前街道社区少数民族工作领导小组", valid_from=since)
    seats = [
        ("组长", "张明", "全面负责"),
        ("副组长", "李华", "分管民族工作"),
        ("组员", "王芳", "民政科：困难帮扶"),
        ("组员", "赵强", "综治办：矛盾调处"),
    ]
    posts: list[int] = []
    people: list[int] = []
    memberships: list[int] = []
    for role, name, duty in seats:
        post = reg.add_post(body=group, role=role, responsibility=duty, valid_from=since)
        person = reg.add_person(name=name, phone="13812345678")
        memberships.append(reg.add_membership(post=post, person=person, valid_from=since))
        posts.append(post)
        people.append(person)
    reg.add_position(person=people[0], title="街道党工委书记", unit=fuqian, valid_from=since)
    reg.add_position(person=people[1], title="街道党工委分管副书记", unit=fuqian, valid_from=since)
    south_head = reg.add_post(unit=south, role="片长", valid_from=since)
    reg.add_membership(post=south_head, person=reg.add_person(name="刘洋"), valid_from=since)

    # 2004-03-01: 府前街道 merges into 南门街道.
    reg.reorganise("merge", date="2004-03-01", units=[fuqian], into=nanmen, note="府前街道并入南门街道")
    # 2012-09-01: the three old districts merge into the new 姑苏区.
    out = reg.reorganise(
        "merge",
        date="2012-09-01",
        units=[canglang, pingjiang, jinchang],
        into={"kind": "district", "name": "姑苏区", "code": "320508", "parent": city, "valid_from": "2012-09-01"},
        note="国函〔2012〕111号",
    )
    gusu = int(out["successors"][0])
    # 2012-12-21: renames.
    reg.reorganise("rename", unit=nanmen, date="2012-12-21", name="沧浪街道")
    reg.reorganise("rename", unit=pingjianglu, date="2012-12-21", name="平江街道")
    return Suzhou(
        path=path,
        city=city,
        canglang=canglang,
        pingjiang=pingjiang,
        jinchang=jinchang,
        gusu=gusu,
        fuqian=fuqian,
        nanmen=nanmen,
        daoqian=daoqian,
        jinfan=jinfan,
        south_area=south,
        north_area=north,
        pingjianglu=pingjianglu,
        fuqian_group=group,
        leader_post=posts[0],
        deputy_post=posts[1],
        member_posts=tuple(posts[2:]),
        leader=people[0],
        member_memberships=tuple(memberships[2:]),
        south_head_post=south_head,
    )


@pytest.fixture(scope="session")
def suzhou_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Suzhou]:
    """The network built once per session; tests get a private copy of the file."""
    path = tmp_path_factory.mktemp("template") / "suzhou.db"
    with shiliu.Registry.open(path, today=TODAY) as reg:
        s = build_suzhou(reg, path)
    return path, s


@pytest.fixture
def suzhou(suzhou_template: tuple[Path, Suzhou], tmp_path: Path) -> Suzhou:
    """A private copy of the Suzhou registry file; returns the ids (``path`` = the copy)."""
    src, s = suzhou_template
    dst = tmp_path / "suzhou.db"
    dst.write_bytes(src.read_bytes())
    return replace(s, path=dst)


@pytest.fixture
def reg(suzhou: Suzhou) -> Iterator[shiliu.Registry]:
    """The Suzhou registry opened as the local administrator, today = 2024-12-31."""
    with shiliu.Registry.open(suzhou.path, today=TODAY) as r:
        yield r
