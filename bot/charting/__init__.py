"""Pictures: the area chart drawn with matplotlib (Agg) and the font that draws Chinese.

An adapter like the XLSX writer: it turns domain data (:class:`bot.domain.chart.ChartData`)
into a file and knows nothing of storage or Telegram. The use case that reads the figures
and draws them is :mod:`bot.usecases.chart`.
"""
