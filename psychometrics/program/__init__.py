"""A credential program's lifecycle: the spec, published forms, administrations and the build.

- :mod:`~psychometrics.program.spec`: the credential spec (YAML) and its validation;
- :mod:`~psychometrics.program.proposal`: forms proposed by assembly from the spec and the bank;
- :mod:`~psychometrics.program.forms`: published (frozen, fingerprinted) forms;
- :mod:`~psychometrics.program.administrations`: responses on published forms and their
  integrity checks;
- :mod:`~psychometrics.program.retakes`: the retake policy across administrations;
- :mod:`~psychometrics.program.build`: the pipeline from spec to validity report.

Data flows one way: the spec names the bank, the published forms and the administrations; the
build reads them, checks them against each other, then runs the numeric modules.
"""
