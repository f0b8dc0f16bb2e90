"""The office shell: what every page under ``/<slug>/office/`` shares, in one home.

Offers to the capabilities above it:
- ``shell``: ``office_blueprint`` (a city blueprint under ``/office``), the office ``MENU``, and the
  document page's panels (``add_document_panel``, ``document_panels``);
- ``forms``: ``EmptyForm``, the CSRF-only form behind every button that changes something, and
  ``RevealPhoneForm``, the reason asked before a citizen's whole phone number is shown;
- ``printing``: the printed records' paper (A4 or an 80 mm roll, ``paper_choice``), their moment
  in the city's time (the ``printed_moment`` filter) and the ``office/print_base.html`` page.

It sits just above ``tenancy`` and imports nothing else of Antar, so every capability may use it.
"""
from __future__ import annotations

OFFERS = ("shell", "forms", "printing")


def wire(app) -> None:
    from saas.office.printing import printed_moment, printing_globals
    from saas.office.shell import office_menu

    app.context_processor(office_menu)
    app.context_processor(printing_globals)
    app.add_template_filter(printed_moment, "printed_moment")
