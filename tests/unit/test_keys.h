/* Public keys for the store and authkeys tests, with the fingerprints that
 * `ssh-keygen -lf` (OpenSSH 9.2) printed for them. All but the sk- keys
 * came from ssh-keygen -t ed25519 / ecdsa -b 256, 384, 521 / rsa -b 3072,
 * 2048, 1024. A security key needs hardware, so the two sk- lines were
 * assembled by hand in the sk- wire format (the ECDSA one reuses the
 * nistp256 point above) and then fingerprinted with ssh-keygen. The
 * certificate is KEY_ED25519 signed by a throwaway CA. */
#ifndef REXEC_TEST_KEYS_H
#define REXEC_TEST_KEYS_H

#define KEY_ED25519 \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5Nm" \
	" alice@laptop"
#define FP_ED25519 "SHA256:YXWR26M+EjqrX/KY6CCIGl9s9M/Dl1gCitJZ6rlWCls"

#define KEY_ED25519_SECOND \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH/MvBQuHPyPrOI9JOWqQtT2OSBcBwdT73CH6iJAos2y" \
	" second"
#define FP_ED25519_SECOND "SHA256:VzKLFypp0syJrgoDjhNPjgDvn2N46iOrNlXTqqe5siA"

#define KEY_ECDSA256 \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFsaGf8C" \
	"n/la8pYUV6xMl3pNy4FxTaNUfJdDVEvPvra+lcr4CvKIV6xwdpfsvtjF6jz6Jv1od+ZEQFeCujPHNsA=" \
	" ecdsa256 key"
#define FP_ECDSA256 "SHA256:hd15O+X0oJ3PJ7KIOQyyYrLnn7ScHPxcV6gvSZvC1qM"

#define KEY_ECDSA384 \
	"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBEfaebEn" \
	"OnZTrTsUDtRkhtBPJ2m9x332OZ9vuvbjW0pswI1E36INEyyXcCXJ6QfOiFewT89l/YUzaJeBVqgNnnxm" \
	"e0Z8Rmv6+a1cdMk0KDMKsAbiMgx9Y8gikNYtXN2xgw== e384"
#define FP_ECDSA384 "SHA256:9rgMdLjI9AiNCd+uVk/HxfLToUY1QJCCuD9JBUU4zMM"

#define KEY_ECDSA521 \
	"ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAAaUf6r" \
	"N9qZn3b6bSequOiRXGTpSsy0PFgZ/R581A99z6qGThCh/wQiI9p0mXCoCJP66pvPc4Kqd8E+7uiVlu7g" \
	"BwAP3nMirpiPers6bKDAD2Uql0LHNvMcJOlPWXVI4ppDNUODoeK3D2I+H4cpCF5i8ZuARhY5cjRS4dhD" \
	"Sw2gouChMw== e521"
#define FP_ECDSA521 "SHA256:p1tljD5Ye4FOPD36KJuI4iFY2xO8DaAf6BCgT3Z9s+o"

#define KEY_RSA3072 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDBs/vpNQq/Iey8iqjgYd/I2Smi/I0KMZDoLDIT8hNb" \
	"tCyGWrZCU7T0zwX3sbq1Fna9j8wmJv91FhvDaC0npINbl+/jCX7uNmYuZ9AMn4IyQvKw6kVXOci39932" \
	"NOGd4O5vdF26Eb4hbXY6bxVe7F09zL3eHh7JWIxPwDsQCpzBEMGhn01UtuEFyqMZBr1k3ee/cxKAIYaI" \
	"flJJmKNwdIgxsMzIS7rf0t8pN8DpXGLXxrUF+WRRT07FWU8yWARDSRMDmk/ZwjovU/hUL/8m8xUTCjvb" \
	"Kj4F/nIiTgzuq0oZBz8tSW4e0X3BCvcpvzQ9sv9DIi++0joELw6YO8vxUqtFr4WQeUU5dblbFj0HAXG3" \
	"X4lJOsDHs0YhPmVKKo/vjHdzriGImhlEBdSmsDtC55osieZDJhaVEbtzoZbDAI8+HP8E/aPRWQWuzO1u" \
	"p0bQzick+Eub7++XG1XnGwxwYCPNiizUxakgHICH+30oTriK8pYaQ0sZHRvkHW4RVJDF4sE= bob@des" \
	"k"
#define FP_RSA3072 "SHA256:2AyXoMNCPih2TecPCwRdasohpj1am2zJHAk/FR+F55k"

#define KEY_RSA2048 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDFf6zDvVhbZJc0SRuMw9xxWaIVhoqVBrAvMDb1oCQp" \
	"4RA7MZSd5J9/4o1l/fnthk2LUl1Q9w4rzxSJ/F1fkwW8jtVj/4CE4fhvvbKX147SLbHu2IdQhchsD3I8" \
	"1C6GGoFz8Y571ZLSPN4LsaE7iDXyNYCzACIzO4g8VvpIQ0qy50NxviEiq+EUoq2+ERFIRXyZU2lCfDzm" \
	"T3U84XBFk/T+NcSRIEmL9u7cMwZwd0IN/0Uh4KSXzsvZt5U9IGg1ZpRKxQF6iEkM2Q42IvyenAvbFwp1" \
	"AaMeQoQxQBXH24uM/PLkmTxTGrGliFoUBIX4eelRrR0xw83SlGNcXkO5So5h "
#define FP_RSA2048 "SHA256:/vw4I7Z8H1brgpXohepKAzg6zEFjpx1/eZIYEfcdLRs"

#define KEY_RSA1024 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDeQseQrXkbdNQHGB7h99ATBLyD3oJLrGTfUjN8XZ85" \
	"MonkmoG4E3YA7HsJo66SAhJQvCnGVtaq4hRZcNOnwGExMTwCOEmozao4mpTxvibmRbkMt0r4hJtyBGfv" \
	"tep6MQZD4XYvxKyBidpEcY8rceRE2GupbXWGbbakWFlp2spCkw== small"
#define FP_RSA1024 "SHA256:ml3OnF1czoxo0DFh2JhMgWjrdRLV6nUoMNNgSOcfwTg"

#define KEY_SK_ED25519 \
	"sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAABAgMEB" \
	"QYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fAAAABHNzaDo= sk ed"
#define FP_SK_ED25519 "SHA256:/p0CbeE3dk2SyW1OXXsThGc12ezDVD8eGw2/vtztDfk"

#define KEY_SK_ECDSA \
	"sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNza" \
	"C5jb20AAAAIbmlzdHAyNTYAAABBBFsaGf8Cn/la8pYUV6xMl3pNy4FxTaNUfJdDVEvPvra+lcr4CvKIV" \
	"6xwdpfsvtjF6jz6Jv1od+ZEQFeCujPHNsAAAAAEc3NoOg== sk ec"
#define FP_SK_ECDSA "SHA256:DKf765pW8OSB+UwBA+aSI+N9R3jap9mSfHArueBs33w"

#define KEY_ED25519_CERT \
	"ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29" \
	"tAAAAIIU5URjnW3wKJuNC1+e9wchkCw6OISIO/XPv+h3NOTHsAAAAIGYjcvEvM6OSrgEyNGA4UiFF/wj" \
	"vV6RX3sY+a9Vib5NmAAAAAAAAAAAAAAABAAAAAmlkAAAACQAAAAVhbGljZQAAAAAAAAAA//////////8" \
	"AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3YXJ" \
	"kaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAAAAAAAA5" \
	"wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDbP8IkrNCd6uMHK6fYUpZ" \
	"Cit4n3YiO4KXr9fMTKYH0zgAAAFMAAAALc3NoLWVkMjU1MTkAAABABPdMxqk3iejLFJyKtS9RMVJScX8" \
	"HDJ6JKQmfJxHLgZpC8vhYGpVtYxPMto7d8WfMKTqWHtCuqOoeJu2W7iiiDg== alice@laptop"
#define FP_ED25519_CERT "SHA256:YXWR26M+EjqrX/KY6CCIGl9s9M/Dl1gCitJZ6rlWCls"

#endif
