"""Documents: the finished documents, their lifecycle and event log, the SIAK import and the desks.

Offers to the packages above it:
- ``models``: ``Document``, ``DocumentEvent``, the type and status labels;
- ``lifecycle``: ``transition`` (the one way a document changes status), ``Actor``,
  ``TransitionRefused``, and the events ``DocumentMoving`` (asked first) and ``DocumentMoved`` (told after);
- ``services``: the queue, ``get_document``, registering documents, the daily report;
- ``identity``: NIK, KK and phone checks and keyed hashes;
- ``links``: the signed link sent to the citizen;
- ``desks``: the collection rule, and ``accept_desk_code`` for other kinds of desk codes;
- ``settings``: the ``[documents]`` section of tenant.toml;
- ``lookup_limits``: one rate-limit budget for every door that says whether a number exists.
"""
from __future__ import annotations

OFFERS = ("models", "lifecycle", "services", "identity", "links", "desks", "settings", "lookup_limits")


def wire(app) -> None:
    from saas.documents import settings
    from saas.documents.desks import RULE_LABELS
    from saas.documents.models import DOCUMENT_TYPE_LABELS, bundle_label, label_of
    from saas.documents.identity import mask_phone
    from saas.documents.views import office
    from saas.tenancy.settings import register_section

    register_section(settings.SECTION)
    app.add_template_filter(mask_phone, "mask_phone")
    app.add_template_filter(lambda code: label_of(DOCUMENT_TYPE_LABELS, code), "doc_type_label")
    app.add_template_filter(lambda code: label_of(RULE_LABELS, code), "collection_rule_label")
    app.add_template_filter(bundle_label, "bundle_label")
    app.register_blueprint(office)
