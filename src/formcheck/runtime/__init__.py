"""How a formcheck process behaves around its work: data files and downloads, signals, native log lines."""
