# ruff: noqa: E501 (QTI documents keep their long lines, as the tools that write them do)
"""A corpus of real-shaped QTI packages for the import tests (issue 18).

Each package is shaped like what the tools named in the issue write (TAO's QTI 2.1/2.2 exports,
1EdTech's QTI 3.0 examples, Common Cartridge-style QTI 2.1 items with inline feedback, APIP and
QTI 2.0 packages) and covers one defect of the issue. ``python tests/data/qti/corpus.py DIR``
writes the zips into DIR; the tests build them in a temporary folder.

``EXPECTED`` says what importing each well-formed package must give; ``MALFORMED`` what error
each malformed one must stop with.
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from pathlib import Path

QTI2 = "http://www.imsglobal.org/xsd/imsqti_v2p{minor}"
QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP1 = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP3 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"


def _png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def manifest(resources: list[tuple[str, str, str]], *, qti3: bool = False, extra: str = "") -> str:
    """A content-packaging manifest listing ``(identifier, type, href)`` resources."""
    ns = CP3 if qti3 else CP1
    res = "\n".join(
        f'    <resource identifier="{i}" type="{t}" href="{h}">\n      <file href="{h}"/>\n    </resource>'
        for i, t, h in resources
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{ns}" identifier="MANIFEST-1">\n'
        f"  <metadata><schema>QTI Package</schema><schemaversion>{'3.0.0' if qti3 else '2.1'}</schemaversion></metadata>\n"
        f"  <organizations/>\n  <resources>\n{res}\n{extra}  </resources>\n</manifest>\n"
    )


def item2(
    ident: str,
    body: str,
    *,
    decl: str,
    minor: int = 1,
    title: str = "",
    extra: str = "",
    rp: str = "",
    attrs: str = "",
) -> str:
    """A QTI 2.x assessmentItem (TAO/Common Cartridge spelling)."""
    rp = (
        rp
        or f'<responseProcessing template="http://www.imsglobal.org/question/qti_v2p{minor}/rptemplates/match_correct"/>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{QTI2.format(minor=minor)}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  identifier="{ident}" title="{title or ident}" adaptive="false" timeDependent="false" toolName="TAO" toolVersion="3.4.0"{attrs}>
  {decl}
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  {extra}
  <itemBody>
{body}
  </itemBody>
  {rp}
</assessmentItem>
"""


def item3(
    ident: str,
    body: str,
    *,
    decl: str,
    title: str = "",
    extra: str = "",
    rp: str = "",
    tail: str = "",
) -> str:
    """A QTI 3.0 qti-assessment-item (1EdTech example spelling)."""
    rp = (
        rp
        or '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{QTI3}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  identifier="{ident}" title="{title or ident}" adaptive="false" time-dependent="false" xml:lang="en">
  {decl}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  {extra}
  <qti-item-body>
{body}
  </qti-item-body>
  {rp}
  {tail}
</qti-assessment-item>
"""


SINGLE2 = '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>{key}</value></correctResponse></responseDeclaration>'
SINGLE3 = '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"><qti-correct-response><qti-value>{key}</qti-value></qti-correct-response></qti-response-declaration>'
FEEDBACK2 = '<outcomeDeclaration identifier="FEEDBACK" cardinality="single" baseType="identifier"/>'
CUSTOM_RP2 = """<responseProcessing>
    <responseCondition>
      <responseIf><match><variable identifier="RESPONSE"/><correct identifier="RESPONSE"/></match>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue></responseIf>
      <responseElse><setOutcomeValue identifier="SCORE"><baseValue baseType="float">0</baseValue></setOutcomeValue></responseElse>
    </responseCondition>
    <setOutcomeValue identifier="FEEDBACK"><variable identifier="RESPONSE"/></setOutcomeValue>
  </responseProcessing>"""


def _choices2(texts: list[str], *, feedback: bool = False) -> str:
    out = []
    for k, text in enumerate(texts, start=1):
        fb = (
            f'<feedbackInline outcomeIdentifier="FEEDBACK" identifier="choice_{k}" showHide="show">Feedback for {k}</feedbackInline>'
            if feedback
            else ""
        )
        out.append(
            f'      <simpleChoice identifier="choice_{k}" fixed="false">{text}{fb}</simpleChoice>'
        )
    return "\n".join(out)


def cc_inline_feedback() -> dict[str, str | bytes]:
    """Defect 3: inline feedback in the choices of Common Cartridge-style QTI 2.1 items."""
    files: dict[str, str | bytes] = {}
    stems = [
        (
            "Psychology is best defined as",
            [
                "the scientific study of behavior and mental processes",
                "the study of the mind",
                "the treatment of mental illness",
                "the study of the brain",
            ],
            "choice_1",
        ),
        (
            "Which school of psychology studied the structure of consciousness?",
            ["Structuralism", "Functionalism", "Behaviorism"],
            "choice_1",
        ),
    ]
    res = []
    for n, (stem, options, key) in enumerate(stems, start=1):
        body = f"""    <p>{stem}</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
{_choices2(options, feedback=True)}
    </choiceInteraction>"""
        files[f"q{n}.xml"] = item2(
            f"cc-q{n}", body, decl=SINGLE2.format(key=key), extra=FEEDBACK2, rp=CUSTOM_RP2
        )
        res.append((f"RES-{n}", "imsqti_item_xmlv2p1", f"q{n}.xml"))
    files["imsmanifest.xml"] = manifest(res)
    return files


def conditional_content() -> dict[str, str | bytes]:
    """Defect 4: conditional feedback and template blocks, a hint on request, a template item."""
    body = """    <div>
      <p>The values are 3, 9, 4 and 100.</p>
      <feedbackBlock outcomeIdentifier="FEEDBACK" identifier="HINT" showHide="show"><p>Sort the values first.</p></feedbackBlock>
      <templateBlock templateIdentifier="VERSION" identifier="B" showHide="show"><p>Version B wording.</p></templateBlock>
      <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
        <prompt>What is the median?</prompt>
        <simpleChoice identifier="A">29</simpleChoice>
        <simpleChoice identifier="B">6.5</simpleChoice>
        <simpleChoice identifier="C">9</simpleChoice>
      </choiceInteraction>
    </div>"""
    modal = """<modalFeedback outcomeIdentifier="FEEDBACK" identifier="correct" showHide="show" title="Right"><p>Yes: (4 + 9) / 2.</p></modalFeedback>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="correct" showHide="hide"><p>The median is the middle value.</p></modalFeedback>"""
    tdecl = '<templateDeclaration identifier="VERSION" cardinality="single" baseType="identifier"/>'
    first = item2(
        "cond-1", body, decl=SINGLE2.format(key="B"), minor=2, extra=FEEDBACK2 + tdecl
    ).replace("</assessmentItem>", f"  {modal}\n</assessmentItem>")
    hint_body = """    <p>Which measure is pulled by outliers?</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <simpleChoice identifier="A">Mean</simpleChoice>
      <simpleChoice identifier="B">Median</simpleChoice>
      <simpleChoice identifier="C">Mode</simpleChoice>
    </choiceInteraction>
    <p><endAttemptInteraction responseIdentifier="HINTREQUEST" title="Show a hint"/></p>
    <feedbackBlock outcomeIdentifier="SHOWHINT" identifier="true" showHide="show"><p>Think of 1, 2, 300.</p></feedbackBlock>"""
    hint_decl = (
        SINGLE2.format(key="A")
        + '<responseDeclaration identifier="HINTREQUEST" cardinality="single" baseType="boolean"/>'
    )
    template = item2(
        "cond-3",
        '    <p>What is <printedVariable identifier="X"/> + 1?</p>\n    <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">2</simpleChoice><simpleChoice identifier="B">3</simpleChoice><simpleChoice identifier="C">4</simpleChoice></choiceInteraction>',
        decl=SINGLE2.format(key="A"),
        minor=2,
        extra='<templateDeclaration identifier="X" cardinality="single" baseType="integer"/><templateProcessing><setTemplateValue identifier="X"><randomInteger min="1" max="3"/></setTemplateValue></templateProcessing>',
    )
    return {
        "imsmanifest.xml": manifest(
            [
                ("R1", "imsqti_item_xmlv2p2", "cond-1.xml"),
                ("R2", "imsqti_item_xmlv2p2", "cond-2.xml"),
                ("R3", "imsqti_item_xmlv2p2", "cond-3.xml"),
            ]
        ),
        "cond-1.xml": first,
        "cond-2.xml": item2("cond-2", hint_body, decl=hint_decl, minor=2),
        "cond-3.xml": template,
    }


def multi_interaction() -> dict[str, str | bytes]:
    """Defect 5: several interactions (TAO's scaledscoring shape) and other interaction types."""
    scaled = """    <div class="grid-row"><div class="col-12">
      <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
        <prompt>Which planet is largest?</prompt>
        <simpleChoice identifier="choice_1">Jupiter</simpleChoice>
        <simpleChoice identifier="choice_2">Mars</simpleChoice>
        <simpleChoice identifier="choice_3">Venus</simpleChoice>
      </choiceInteraction>
    </div></div>
    <div class="grid-row"><div class="col-12">
      <sliderInteraction responseIdentifier="RESPONSE_1" lowerBound="0" upperBound="100" step="1">
        <prompt>How sure are you (0-100)?</prompt>
      </sliderInteraction>
    </div></div>"""
    slider_decl = '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>choice_1</value></correctResponse></responseDeclaration><responseDeclaration identifier="RESPONSE_1" cardinality="single" baseType="integer"/>'
    text_entry = '    <p>The median of 1, 2, 3 is <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="3"/>.</p>'
    inline = '    <p>The mean is <inlineChoiceInteraction responseIdentifier="RESPONSE"><inlineChoice identifier="A">pulled</inlineChoice><inlineChoice identifier="B">not pulled</inlineChoice></inlineChoiceInteraction> by outliers.</p>'
    gap = '    <gapMatchInteraction responseIdentifier="RESPONSE"><gapText identifier="W1" matchMax="1">mean</gapText><gapText identifier="W2" matchMax="1">median</gapText><p>The <gap identifier="G1"/> is robust.</p></gapMatchInteraction>'
    string_decl = '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"><correctResponse><value>2</value></correctResponse></responseDeclaration>'
    return {
        "imsmanifest.xml": manifest(
            [(f"R{k}", "imsqti_item_xmlv2p2", f"i{k}/qti.xml") for k in range(1, 5)]
        ),
        "i1/qti.xml": item2("scaledscoring", scaled, decl=slider_decl, minor=2),
        "i2/qti.xml": item2("text-entry", text_entry, decl=string_decl, minor=2),
        "i3/qti.xml": item2("inline-choice", inline, decl=SINGLE2.format(key="A"), minor=2),
        "i4/qti.xml": item2(
            "gap-match",
            gap,
            decl='<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair"><correctResponse><value>W2 G1</value></correctResponse></responseDeclaration>',
            minor=2,
        ),
    }


def layout() -> dict[str, str | bytes]:
    """Defects 2, 6 and 7: inline text in a div, an empty layout table, a header-only table, ruby."""
    inline_div = """    <div class="stem">Put the numbers in order from <strong>least</strong> to <strong>greatest</strong>?
      <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
        <qti-simple-choice identifier="A">2, 5, 9</qti-simple-choice>
        <qti-simple-choice identifier="B">9, 5, 2</qti-simple-choice>
        <qti-simple-choice identifier="C">5, 2, 9</qti-simple-choice>
      </qti-choice-interaction>
    </div>"""
    tables = """    <table><tbody><tr><td> </td><td></td></tr></tbody></table>
    <p>Use the table.</p>
    <table><thead><tr><th>Year</th><th>Sales</th></tr></thead><tbody><tr><td>2024</td><td>10</td></tr></tbody></table>
    <table><tbody><tr><th>Only</th><th>Header</th></tr></tbody></table>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Which year is listed?</qti-prompt>
      <qti-simple-choice identifier="A">2024</qti-simple-choice>
      <qti-simple-choice identifier="B">2023</qti-simple-choice>
      <qti-simple-choice identifier="C">2022</qti-simple-choice>
    </qti-choice-interaction>"""
    ruby = """    <p>How is <ruby>漢字<rt>かんじ</rt></ruby> read? (H<sub>2</sub>O and x<sup>2</sup> stay as written.)</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-simple-choice identifier="A">kanji</qti-simple-choice>
      <qti-simple-choice identifier="B">kana</qti-simple-choice>
      <qti-simple-choice identifier="C">romaji</qti-simple-choice>
    </qti-choice-interaction>"""
    return {
        "imsmanifest.xml": manifest(
            [(f"L{k}", "imsqti_item_xmlv3p0", f"items/l{k}.xml") for k in range(1, 4)], qti3=True
        ),
        "items/l1.xml": item3("order-numbers", inline_div, decl=SINGLE3.format(key="A")),
        "items/l2.xml": item3("layout-tables", tables, decl=SINGLE3.format(key="A")),
        "items/l3.xml": item3("ruby", ruby, decl=SINGLE3.format(key="A")),
    }


def true_false() -> dict[str, str | bytes]:
    """Defect 8: true/false and two-option items (1EdTech's TF-choice and either-or shapes)."""
    tf = """    <p>Sigmund Freud and Carl Jung both belong to the psychoanalytic school.</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1" shuffle="false">
      <qti-simple-choice identifier="true">True</qti-simple-choice>
      <qti-simple-choice identifier="false">False</qti-simple-choice>
    </qti-choice-interaction>"""
    either = """    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Is a median robust to outliers?</qti-prompt>
      <qti-simple-choice identifier="A">Yes, it is</qti-simple-choice>
      <qti-simple-choice identifier="B">No, it is not</qti-simple-choice>
    </qti-choice-interaction>"""
    return {
        "imsmanifest.xml": manifest(
            [("T1", "imsqti_item_xmlv3p0", "tf.xml"), ("T2", "imsqti_item_xmlv3p0", "either.xml")],
            qti3=True,
        ),
        "tf.xml": item3("TF-choice", tf, decl=SINGLE3.format(key="true")),
        "either.xml": item3("either-or", either, decl=SINGLE3.format(key="A")),
    }


def partial_credit() -> dict[str, str | bytes]:
    """Defect 8: response mappings (partial credit), an item scored only by its mapping."""
    msq = """    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">
      <prompt>Which are measures of spread?</prompt>
      <simpleChoice identifier="A">Variance</simpleChoice>
      <simpleChoice identifier="B">Median</simpleChoice>
      <simpleChoice identifier="C">Range</simpleChoice>
      <simpleChoice identifier="D">Mode</simpleChoice>
    </choiceInteraction>"""
    msq_decl = """<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>A</value><value>C</value></correctResponse>
    <mapping lowerBound="0" upperBound="2" defaultValue="0"><mapEntry mapKey="A" mappedValue="1"/><mapEntry mapKey="C" mappedValue="1"/><mapEntry mapKey="B" mappedValue="-0.5"/></mapping>
  </responseDeclaration>"""
    map_rp = '<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>'
    only_map = """    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Which is the best summary of a skewed income distribution?</qti-prompt>
      <qti-simple-choice identifier="A">The median</qti-simple-choice>
      <qti-simple-choice identifier="B">The trimmed mean</qti-simple-choice>
      <qti-simple-choice identifier="C">The mean</qti-simple-choice>
    </qti-choice-interaction>"""
    only_decl = """<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-mapping default-value="0"><qti-map-entry map-key="A" mapped-value="2"/><qti-map-entry map-key="B" mapped-value="1"/></qti-mapping>
  </qti-response-declaration>"""
    only_rp = '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"/>'
    unused = msq_decl.replace('cardinality="multiple"', 'cardinality="multiple"')
    return {
        "imsmanifest.xml": manifest(
            [
                ("P1", "imsqti_item_xmlv2p1", "p1.xml"),
                ("P2", "imsqti_item_xmlv3p0", "p2.xml"),
                ("P3", "imsqti_item_xmlv2p1", "p3.xml"),
            ]
        ),
        "p1.xml": item2("spread-partial", msq, decl=msq_decl, rp=map_rp),
        "p2.xml": item3("map-only", only_map, decl=only_decl, rp=only_rp),
        "p3.xml": item2("map-unused", msq, decl=unused),
    }


def shuffle_and_catalog() -> dict[str, str | bytes]:
    """Defect 8: shuffle with a fixed option; an accessibility catalog (QTI 3 qti-catalog-info)."""
    body = """    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1" shuffle="true">
      <qti-prompt>Which is a measure of center?</qti-prompt>
      <qti-simple-choice identifier="A">Mean</qti-simple-choice>
      <qti-simple-choice identifier="B">Range</qti-simple-choice>
      <qti-simple-choice identifier="C">Variance</qti-simple-choice>
      <qti-simple-choice identifier="D" fixed="true">None of these</qti-simple-choice>
    </qti-choice-interaction>"""
    catalog_body = """    <p data-catalog-idref="c1">A <span data-catalog-idref="c2">histogram</span> shows a distribution.</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>What does a histogram show?</qti-prompt>
      <qti-simple-choice identifier="A">A distribution</qti-simple-choice>
      <qti-simple-choice identifier="B">A correlation</qti-simple-choice>
      <qti-simple-choice identifier="C">A trend over time</qti-simple-choice>
    </qti-choice-interaction>"""
    catalog = '<qti-catalog-info><qti-catalog id="c2"><qti-card support="glossary-on-screen"><qti-html-content>A bar chart of counts.</qti-html-content></qti-card></qti-catalog></qti-catalog-info>'
    return {
        "imsmanifest.xml": manifest(
            [("S1", "imsqti_item_xmlv3p0", "s1.xml"), ("S2", "imsqti_item_xmlv3p0", "s2.xml")],
            qti3=True,
        ),
        "s1.xml": item3("shuffled", body, decl=SINGLE3.format(key="A")),
        "s2.xml": item3(
            "glossary",
            catalog_body,
            decl=SINGLE3.format(key="A"),
            rp=catalog
            + '\n  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>',
        ),
    }


def qti20_and_apip() -> dict[str, str | bytes]:
    """Defect 8: QTI 2.0 and APIP packages (they used to get 'lists no QTI item resources')."""
    body = """    <p>Which average uses every value?</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <simpleChoice identifier="A">Mean</simpleChoice>
      <simpleChoice identifier="B">Median</simpleChoice>
      <simpleChoice identifier="C">Mode</simpleChoice>
    </choiceInteraction>"""
    qti20 = item2("qti20-item", body, decl=SINGLE2.format(key="A"), minor=0).replace(
        'toolName="TAO" toolVersion="3.4.0"', ""
    )
    apip = (
        item2("apip-item", body, decl=SINGLE2.format(key="A"), minor=1)
        .replace(
            "</assessmentItem>",
            '  <apipAccessibility xmlns="http://www.imsglobal.org/xsd/apip/apipv1p0/imsapip_qtiv1p0"><accessibilityInfo><accessElement identifier="ae1"/></accessibilityInfo></apipAccessibility>\n</assessmentItem>',
        )
        .replace(
            QTI2.format(minor=1), "http://www.imsglobal.org/xsd/apip/apipv1p0/qtiitem/imsqti_v2p1"
        )
    )
    return {
        "imsmanifest.xml": manifest(
            [
                ("Q20", "imsqti_item_xmlv2p0", "qti20.xml"),
                ("AP1", "imsqti_apipitem_xmlv2p1", "apip.xml"),
            ]
        ),
        "qti20.xml": qti20,
        "apip.xml": apip,
    }


def media() -> dict[str, str | bytes]:
    """Defect 8: images, MathML and objects are imported (media copied); audio/video refused."""
    image = """    <p>The histogram:</p>
    <p><img src="images/histogram 1.png" alt="a right-skewed histogram"/></p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Which way is it skewed?</qti-prompt>
      <qti-simple-choice identifier="A">Right</qti-simple-choice>
      <qti-simple-choice identifier="B">Left</qti-simple-choice>
      <qti-simple-choice identifier="C">Not skewed</qti-simple-choice>
    </qti-choice-interaction>"""
    math = """    <p>Which is the sample variance?</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-simple-choice identifier="A"><math xmlns="http://www.w3.org/1998/Math/MathML"><mfrac><mrow><mo>&#x2211;</mo><msup><mrow><mo>(</mo><mi>x</mi><mo>-</mo><mover><mi>x</mi><mo>&#xaf;</mo></mover><mo>)</mo></mrow><mn>2</mn></msup></mrow><mrow><mi>n</mi><mo>-</mo><mn>1</mn></mrow></mfrac></math></qti-simple-choice>
      <qti-simple-choice identifier="B"><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>n</mi><mo>-</mo><mn>1</mn></math></qti-simple-choice>
      <qti-simple-choice identifier="C">The range</qti-simple-choice>
    </qti-choice-interaction>"""
    obj = """    <p><object data="images/chart.svg" type="image/svg+xml" width="200" height="100">A bar chart</object></p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Which bar is tallest?</qti-prompt>
      <qti-simple-choice identifier="A">The first</qti-simple-choice>
      <qti-simple-choice identifier="B">The second</qti-simple-choice>
      <qti-simple-choice identifier="C">The third</qti-simple-choice>
    </qti-choice-interaction>"""
    missing = image.replace("images/histogram 1.png", "images/missing.png")
    outside = image.replace("images/histogram 1.png", "../../../etc/passwd")
    video = image.replace(
        '<img src="images/histogram 1.png" alt="a right-skewed histogram"/>',
        '<video src="images/clip.mp4"/>',
    )
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="50" height="80" y="20"/><rect x="60" width="50" height="40" y="60"/></svg>'
    key = SINGLE3.format(key="A")
    return {
        "imsmanifest.xml": manifest(
            [(f"M{k}", "imsqti_item_xmlv3p0", f"items/m{k}.xml") for k in range(1, 7)], qti3=True
        ),
        "items/m1.xml": item3("image-item", image, decl=key),
        "items/m2.xml": item3("mathml-item", math, decl=key),
        "items/m3.xml": item3("object-item", obj, decl=key),
        "items/m4.xml": item3("missing-image", missing, decl=key),
        "items/m5.xml": item3("outside-image", outside, decl=key),
        "items/m6.xml": item3("video-item", video, decl=key),
        "items/images/histogram 1.png": _png(),
        "items/images/chart.svg": svg,
    }


PACKAGES = {
    "cc-inline-feedback": cc_inline_feedback,
    "conditional-content": conditional_content,
    "multi-interaction": multi_interaction,
    "layout": layout,
    "true-false": true_false,
    "partial-credit": partial_credit,
    "shuffle-catalog": shuffle_and_catalog,
    "qti20-apip": qti20_and_apip,
    "media": media,
}

MALFORMED: dict[str, tuple[dict[str, str | bytes], str]] = {
    "doctype": (
        {
            "imsmanifest.xml": '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x "xxxx">]><manifest>&x;</manifest>'
        },
        "DOCTYPE",
    ),
    "unsafe-path": ({"imsmanifest.xml": manifest([]), "../../evil.xml": "<x/>"}, "unsafe path"),
    "truncated-item": (
        {
            "imsmanifest.xml": manifest([("R", "imsqti_item_xmlv2p1", "r.xml")]),
            "r.xml": item2("r", "<p>cut", decl="")[:300],
        },
        "malformed XML",
    ),
    "href-outside": (
        {"imsmanifest.xml": manifest([("R", "imsqti_item_xmlv2p1", "../r.xml")])},
        "outside the package",
    ),
    "qti12-cartridge": (
        {"imsmanifest.xml": manifest([("Q", "imsqti_xmlv1p2/imscc_xmlv1p1/assessment", "q.xml")])},
        "QTI 1.2",
    ),
    "test-only": (
        {"imsmanifest.xml": manifest([("T", "imsqti_test_xmlv3p0", "t.xml")], qti3=True)},
        "lists no QTI item resources (it lists: imsqti_test_xmlv3p0 x1)",
    ),
}

EXPECTED: dict[str, dict[str, object]] = {
    "cc-inline-feedback": {"imported": ["cc-q1", "cc-q2"], "skipped": {}},
    "conditional-content": {
        "imported": ["cond-1"],
        "skipped": {"R2": "endAttemptInteraction", "R3": "template item"},
    },
    "multi-interaction": {
        "imported": [],
        "skipped": {
            "R1": "choiceInteraction, sliderInteraction",
            "R2": "textEntryInteraction",
            "R3": "inlineChoiceInteraction",
            "R4": "gapMatchInteraction",
        },
    },
    "layout": {"imported": ["order-numbers", "layout-tables", "ruby"], "skipped": {}},
    "true-false": {"imported": ["TF-choice", "either-or"], "skipped": {}},
    "partial-credit": {"imported": ["spread-partial", "map-only", "map-unused"], "skipped": {}},
    "shuffle-catalog": {"imported": ["shuffled", "glossary"], "skipped": {}},
    "qti20-apip": {"imported": ["qti20-item", "apip-item"], "skipped": {}},
    "media": {
        "imported": ["image-item", "mathml-item", "object-item"],
        "skipped": {
            "M4": "missing from the package",
            "M5": "outside the package",
            "M6": "holds video",
        },
    },
}


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def build(folder: Path) -> dict[str, Path]:
    """Write every package (well-formed and malformed) into ``folder``; name -> zip."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {name: write_zip(folder / f"{name}.zip", make()) for name, make in PACKAGES.items()}
    for name, (files, _) in MALFORMED.items():
        out[name] = write_zip(folder / f"{name}.zip", files)
    (folder / "not-a-zip.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    out["not-a-zip"] = folder / "not-a-zip.zip"
    return out


if __name__ == "__main__":
    for name, path in build(Path(sys.argv[1] if len(sys.argv) > 1 else ".")).items():
        print(f"{name}: {path}")
