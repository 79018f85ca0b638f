"""Importers: each turns one file (or folder / zip) into a `Dataset`, or raises
`ImportFailed` listing every problem with file, row or element, field and value.

`import_file(path)` picks the importer by extension and content.
"""
