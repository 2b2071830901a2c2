librexec_a_SOURCES += src/audit/audit.c
