from llamaextract_cli.cli.main import main

main()
