#!/usr/bin/python3
"""baseline.py DIR -- the comparison for the parse benchmark.

What a short Python script would do with the same messages: parse each .eml
file in DIR with the standard email package (policy.default), walk its
parts, take the text of text/plain, text/csv and text/html parts
(get_content(), HTML reduced to text with html.parser), and collect the
values of "Label: value" lines for the English, French and Spanish labels
of the request form with one regular expression.  It does far less than
intakectl parse (no tables, no validation, no classification), so the ratio
flatters Python.

Prints "python: N messages in S s, R msg/s".  Python 3 standard library
only.
"""

import email
import os
import re
import sys
import time
from email import policy
from html.parser import HTMLParser

# The request form's labels, as officials type them.
LABELS = {
    "country": ["country", "country/party", "party", "pays", "país",
                "pais"],
    "last_name": ["last name", "surname", "family name", "nom",
                  "nom de famille", "apellido", "apellidos"],
    "first_name": ["first name", "given name", "forename", "prénom",
                   "prénoms", "prenom", "nombre"],
    "organisation": ["organisation", "organization", "agency",
                     "institution", "organisme", "service", "organización",
                     "institución", "organismo", "entidad"],
    "function": ["function", "position", "title", "job title", "fonction",
                 "poste", "titre", "función", "cargo", "puesto"],
    "phone": ["telephone", "phone", "tel.", "tel", "telephone number",
              "téléphone", "tél.", "teléfono", "telefono"],
    "email": ["e-mail", "email", "official e-mail address",
              "e-mail address", "courriel", "adresse électronique", "mél",
              "correo electrónico", "correo"],
}

FIELD_OF = {}
for _field, _labels in LABELS.items():
    for _label in _labels:
        FIELD_OF[_label] = _field

LABEL_LINE = re.compile(
    r"^[ \t]*(?:\d+[.)][ \t]*)?(" +
    "|".join(re.escape(l) for l in sorted(FIELD_OF, key=len, reverse=True)) +
    r")[ \t]*[:\uff1a][ \t]*(\S.*?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE)


class TextOfHTML(HTMLParser):
    """HTML to text: blocks become lines, table cells are tab-separated,
    style and script are dropped."""

    BLOCKS = {"p", "div", "br", "tr", "li", "table", "h1", "h2", "h3", "h4",
              "h5", "h6", "blockquote", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip = max(self.skip - 1, 0)
        elif tag in ("td", "th"):
            self.out.append("\t")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)

    def text(self):
        return "".join(self.out)


def html_to_text(html):
    p = TextOfHTML()
    p.feed(html)
    p.close()
    return p.text()


def part_text(part):
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def extract(path):
    """(headers seen, {field: [values]}) of one message."""
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=policy.default)
    headers = {h: str(msg.get(h, "")) for h in
               ("from", "subject", "message-id", "in-reply-to",
                "references", "auto-submitted", "list-id")}
    found = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/csv", "text/html"):
            continue
        text = part_text(part)
        if not isinstance(text, str):
            continue
        if ctype == "text/html":
            text = html_to_text(text)
        for m in LABEL_LINE.finditer(text):
            found.setdefault(FIELD_OF[m.group(1).lower()], []).append(
                m.group(2))
    return headers, found


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: baseline.py DIR\n")
        return 64
    files = sorted(os.path.join(argv[1], n) for n in os.listdir(argv[1])
                   if n.endswith(".eml"))
    if not files:
        sys.stderr.write("baseline.py: no .eml files in %s\n" % argv[1])
        return 66
    values = 0
    start = time.perf_counter()
    for path in files:
        _, found = extract(path)
        values += sum(len(v) for v in found.values())
    elapsed = time.perf_counter() - start
    print("python: %d messages in %.2f s, %.0f msg/s" % (
        len(files), elapsed, len(files) / elapsed))
    if os.environ.get("BASELINE_VERBOSE"):
        sys.stderr.write("python: %d label values found\n" % values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
