"""Evidence pages: the Exhibits and Analyses tabs of the case page, filing, exhibit and job pages."""
