librexec_a_SOURCES += src/net/listener.c
librexec_a_SOURCES += src/net/hostkey.c
librexec_a_SOURCES += src/net/server.c
librexec_a_SOURCES += src/net/conn.c
librexec_a_SOURCES += src/net/channel.c
librexec_a_SOURCES += src/net/bridge.c
librexec_a_SOURCES += src/net/monclient.c
