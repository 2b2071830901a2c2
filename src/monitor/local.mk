librexec_a_SOURCES += src/monitor/monitor.c
librexec_a_SOURCES += src/monitor/netpeer.c src/monitor/netpeer.h
