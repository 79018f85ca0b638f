"""`python -m bench [engine|background|portal|verify|bombs] [options]`: the benchmarks (engine
by default)."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "background":
    from bench.background import main as background_main

    background_main(sys.argv[2:])
elif len(sys.argv) > 1 and sys.argv[1] == "portal":
    from bench.portal_load import main as portal_main

    portal_main(sys.argv[2:])
elif len(sys.argv) > 1 and sys.argv[1] == "verify":
    from bench.verify import main as verify_main

    verify_main(sys.argv[2:])
elif len(sys.argv) > 1 and sys.argv[1] == "bombs":
    from bench.bombs import main as bombs_main

    bombs_main(sys.argv[2:])
else:
    from bench.engine import main as engine_main

    engine_main(sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "engine" else None)
