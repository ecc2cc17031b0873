from eventsite.cli import main

raise SystemExit(main())
