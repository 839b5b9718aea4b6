"""Cross-border e-commerce: orders, payments, waybills, the three-document match, tax and inventory lists."""
