"""The serving API: scores held in memory, insights read from the marts, every answer scoped to one retailer."""
