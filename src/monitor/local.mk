librexec_a_SOURCES += src/monitor/monitor.c
