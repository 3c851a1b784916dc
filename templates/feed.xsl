<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS or Atom feed as a readable Danish page when someone opens it in a browser.
     Feed readers ignore this file. Made from templates/feed.xsl by kommunenyt. -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
<xsl:output method="html" version="5.0" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

<xsl:template match="/">
  <xsl:variable name="title" select="rss/channel/title | atom:feed/atom:title"/>
  <xsl:variable name="self" select="rss/channel/atom:link[@rel='self']/@href | atom:feed/atom:link[@rel='self']/@href"/>
  <xsl:variable name="home" select="rss/channel/link | atom:feed/atom:link[@rel='alternate']/@href"/>
  <html lang="{{ site.language|e }}">
  <head>
    <meta charset="utf-8"/>
    <meta http-equiv="Content-Security-Policy" content="{{ csp()|e }}"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <meta name="robots" content="noindex"/>
    <title>Nyhedsfeed: <xsl:value-of select="$title"/></title>
    <link rel="stylesheet" href="{{ url('stylesheet')|e }}"/>
  </head>
  <body>
    <a class="skip-link" href="#indhold">Gå til indhold</a>
    <header class="site-header">
      <div class="wrap site-header__inner">
        <a class="brand" href="{{ url('front')|e }}">{{ site.title|e }}</a>
      </div>
    </header>
    <main id="indhold" class="wrap" tabindex="-1">
      <div class="narrow">
        <p class="kicker">Nyhedsfeed</p>
        <h1 class="page-title"><xsl:value-of select="$title"/></h1>
        <div class="notice">
          <p><strong>Det her er et nyhedsfeed.</strong> Kopiér adressen herunder ind i din feedlæser
            (for eksempel Feedly, Inoreader eller NetNewsWire), så får du nye artikler, så snart de udkommer.</p>
          <p class="feed-address"><code><xsl:value-of select="$self"/></code></p>
          <p>Du kan også <a href="{$home}">læse artiklerne på sitet</a> eller
            <a href="{{ url('newsletter')|e }}">få nyhedsbrevet på mail</a>.</p>
        </div>
        <h2>Seneste artikler</h2>
        <ol class="feed-items">
          <xsl:for-each select="rss/channel/item | atom:feed/atom:entry">
            <li class="feed-item">
              <h3 class="card__title">
                <a href="{link | atom:link[@rel='alternate']/@href}"><xsl:value-of select="title | atom:title"/></a>
              </h3>
              <p class="card__meta">
                <xsl:call-template name="danish-date">
                  <xsl:with-param name="value" select="pubDate | atom:published"/>
                </xsl:call-template>
              </p>
              <p class="card__lead"><xsl:value-of select="description | atom:summary"/></p>
            </li>
          </xsl:for-each>
        </ol>
      </div>
    </main>
  </body>
  </html>
</xsl:template>

<!-- "Tue, 10 Sep 2024 06:45:00 +0200" (RSS) or "2024-09-10T06:45:00+02:00" (Atom) → "10. september 2024" -->
<xsl:template name="danish-date">
  <xsl:param name="value"/>
  <xsl:choose>
    <xsl:when test="contains($value, ',')">
      <xsl:variable name="rest" select="normalize-space(substring-after($value, ','))"/>
      <xsl:variable name="day" select="substring-before($rest, ' ')"/>
      <xsl:variable name="rest2" select="substring-after($rest, ' ')"/>
      <xsl:variable name="month" select="substring-before($rest2, ' ')"/>
      <xsl:variable name="year" select="substring(substring-after($rest2, ' '), 1, 4)"/>
      <xsl:value-of select="number($day)"/>
      <xsl:text>. </xsl:text>
      <xsl:call-template name="month-name">
        <xsl:with-param name="number" select="(string-length(substring-before('JanFebMarAprMayJunJulAugSepOctNovDec', $month)) div 3) + 1"/>
      </xsl:call-template>
      <xsl:text> </xsl:text>
      <xsl:value-of select="$year"/>
    </xsl:when>
    <xsl:otherwise>
      <xsl:value-of select="number(substring($value, 9, 2))"/>
      <xsl:text>. </xsl:text>
      <xsl:call-template name="month-name">
        <xsl:with-param name="number" select="number(substring($value, 6, 2))"/>
      </xsl:call-template>
      <xsl:text> </xsl:text>
      <xsl:value-of select="substring($value, 1, 4)"/>
    </xsl:otherwise>
  </xsl:choose>
</xsl:template>

<xsl:template name="month-name">
  <xsl:param name="number"/>
  <xsl:choose>
    <xsl:when test="$number = 1">januar</xsl:when>
    <xsl:when test="$number = 2">februar</xsl:when>
    <xsl:when test="$number = 3">marts</xsl:when>
    <xsl:when test="$number = 4">april</xsl:when>
    <xsl:when test="$number = 5">maj</xsl:when>
    <xsl:when test="$number = 6">juni</xsl:when>
    <xsl:when test="$number = 7">juli</xsl:when>
    <xsl:when test="$number = 8">august</xsl:when>
    <xsl:when test="$number = 9">september</xsl:when>
    <xsl:when test="$number = 10">oktober</xsl:when>
    <xsl:when test="$number = 11">november</xsl:when>
    <xsl:otherwise>december</xsl:otherwise>
  </xsl:choose>
</xsl:template>
</xsl:stylesheet>
