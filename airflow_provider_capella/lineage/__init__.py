"""Lineage of what the operators search, order, task and download: OpenLineage facets and Asset event extras.

What an operator did is written down during ``execute`` as a :class:`~.record.LineageRecord` (plain
Python, nothing of OpenLineage). :class:`~.mixin.CapellaLineageMixin` turns that record into OpenLineage
datasets and facets when the ``apache-airflow-providers-openlineage`` package asks for them
(``pip install "airflow-provider-capella[openlineage]"``); without that package nothing of OpenLineage
is ever imported. The same facts, kept small, go into the ``extra`` of each Asset event.

- :mod:`.record`: the facts (products, files, ids, cost, error) an operator records;
- :mod:`.products`: product facts from STAC items; :mod:`.files`: size and checksum of written files;
- :mod:`.naming`: dataset namespaces and names (OpenLineage naming spec);
- :mod:`.asset_extra`: the ``extra`` of an Asset event;
- :mod:`.facets`, :mod:`.datasets`: the OpenLineage side (imported only by the mixin's methods);
- :mod:`.mixin`: ``get_openlineage_facets_on_start/complete/failure`` for the operators.
"""
