"""Airflow operators for the Capella Space API, one module per resource.

- :mod:`~airflow_provider_capella.operators.search`: ``CapellaSearchOperator``
- :mod:`~airflow_provider_capella.operators.orders`: ``SubmitOrderOperator``
- :mod:`~airflow_provider_capella.operators.download`: ``DownloadProductsOperator``
- :mod:`~airflow_provider_capella.operators.tasking`: ``CreateTaskingRequestOperator``,
  ``CancelTaskingRequestsOperator``, ``UpdateTaskingRequestsOperator``
- :mod:`~airflow_provider_capella.operators.repeat`: ``CreateRepeatRequestOperator``,
  ``CancelRepeatRequestsOperator``, ``UpdateRepeatRequestsOperator``
"""
