"""Airflow operators for the Capella Space API, one module per resource.

``search`` (``CapellaSearchOperator``), ``orders`` (``SubmitOrderOperator``), ``download``
(``DownloadProductsOperator``), ``archive`` (``ArchiveExportOperator``), ``feasibility``
(``CheckFeasibilityOperator``), ``tasking`` and ``repeat`` (create, cancel and update requests), and
``approval`` (a tasking request's quote, approve, reject).
"""
