"""Trade documents (invoices, packing lists, certificates): entered once, shared, reused as evidence."""
