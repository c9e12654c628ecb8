"""Open Badges 3.0 credentials for those who pass: achievements, issuance, verification,
revocation (Bitstring Status List), stackable pathways and baking.

Modules: :mod:`.keys` (issuer keys, did:key / did:web), :mod:`.achievement` (the Achievement a
spec describes), :mod:`.issue` (OpenBadgeCredentials), :mod:`.dataintegrity`
(``eddsa-rdfc-2022``), :mod:`.vcjwt` (VC-JWT), :mod:`.verify`, :mod:`.statuslist` and
:mod:`.revocation`, :mod:`.pathway` and :mod:`.stacking`, :mod:`.bake` (SVG), :mod:`.schema`
(the official JSON Schema) and :mod:`.contexts` (shipped JSON-LD contexts; nothing is fetched).

This package reads the results of the build; it never recomputes them. It needs the
``credkit[badges]`` extra (pyld, joserfc, jsonschema, base58).
"""

from psychometrics.credentials._deps import require

for _library in ("cryptography", "pyld", "joserfc", "jsonschema", "base58"):
    require(_library)  # one clear error naming the extra, before any module needs it
