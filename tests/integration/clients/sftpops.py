"""The sftp operation list that asyncssh_client.py and paramiko_client.py
take on their command line: mkdir R | rmdir R | rm R | put L R | get R L |
rename R1 R2, run in order."""

ARITY = {"mkdir": 1, "rmdir": 1, "rm": 1, "put": 2, "get": 2, "rename": 2}


def split_ops(words):
    """Yield (operation, arguments) pairs from a flat list of words."""
    i = 0
    while i < len(words):
        op = words[i]
        if op not in ARITY:
            raise ValueError("unknown sftp operation " + op)
        args = words[i + 1:i + 1 + ARITY[op]]
        if len(args) != ARITY[op]:
            raise ValueError("sftp operation %s needs %d arguments" % (op, ARITY[op]))
        yield op, args
        i += 1 + ARITY[op]
