"""Work hints (procedure, tools, spare parts, safety notes per work type; versioned) and the
site history a technician sees on an order they hold."""
