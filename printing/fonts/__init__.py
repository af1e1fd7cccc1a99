"""DejaVu Sans, shipped with the package (see LICENSE here) so slips print every Serbian
letter without anything installed by hand."""
