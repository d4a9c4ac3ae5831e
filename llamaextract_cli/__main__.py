from llamaextract_cli.main import main

main()
