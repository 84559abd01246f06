from dure.cli import main

main()
