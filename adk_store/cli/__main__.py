from adk_store.cli import main

main()
