"""Stages 2 and 3: normalise raw documents into typed entities and resolve them into a graph.

Pure: no file or network I/O happens in this package.
"""
