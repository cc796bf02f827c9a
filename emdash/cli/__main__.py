from emdash.cli import main

main()
