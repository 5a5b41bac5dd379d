//! Directory listings: MLSD/MLST facts, Unix and DOS `LIST` parsers, and formatters.
