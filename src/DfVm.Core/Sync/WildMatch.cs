namespace DfVm.Core.Sync
{
    /// <summary>
    /// Git's wildmatch: '*', '?', '[...]' (with '!'/'^' negation, ranges, [:class:]),
    /// backslash escapes and, with <c>pathName</c>, '**' spanning directories while a
    /// single '*' or '?' never matches '/'.
    /// </summary>
    internal static class WildMatch
    {
        private const int Match = 0;
        private const int NoMatch = 1;
        private const int AbortAll = -1;
        private const int AbortToStarStar = -2;

        public static bool IsMatch(string pattern, string text, bool pathName)
        {
            return DoWild(pattern, 0, text, 0, pathName) == Match;
        }

        private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

        private static int DoWild(string pat, int p, string text, int t, bool pathName)
        {
            for (; p < pat.Length; t++, p++)
            {
                char pCh = pat[p];
                char tCh = At(text, t);
                if (t >= text.Length && pCh != '*')
                {
                    return AbortAll;
                }

                switch (pCh)
                {
                    case '\\':
                        p++;
                        if (At(pat, p) != tCh || p >= pat.Length)
                        {
                            return NoMatch;
                        }
                        break;

                    case '?':
                        if (pathName && tCh == '/')
                        {
                            return NoMatch;
                        }
                        break;

                    case '*':
                    {
                        bool matchSlash;
                        p++;
                        if (At(pat, p) == '*' && p < pat.Length)
                        {
                            int prevP = p - 2;
                            while (++p < pat.Length && pat[p] == '*')
                            {
                            }

                            bool atStart = prevP < 0 || pat[prevP] == '/';
                            bool beforeSlash = p >= pat.Length || pat[p] == '/' ||
                                               (pat[p] == '\\' && At(pat, p + 1) == '/');
                            if (atStart && beforeSlash)
                            {
                                if (p < pat.Length && pat[p] == '/' &&
                                    DoWild(pat, p + 1, text, t, pathName) == Match)
                                {
                                    return Match;
                                }
                                matchSlash = true;
                            }
                            else
                            {
                                matchSlash = !pathName;
                            }
                        }
                        else
                        {
                            matchSlash = !pathName;
                        }

                        if (p >= pat.Length)
                        {
                            if (!matchSlash && text.IndexOf('/', t) >= 0)
                            {
                                return NoMatch;
                            }
                            return Match;
                        }

                        if (!matchSlash && pat[p] == '/')
                        {
                            int slash = text.IndexOf('/', t);
                            if (slash < 0)
                            {
                                return NoMatch;
                            }
                            t = slash;
                            break; // the slash is consumed by the loop increment
                        }

                        while (true)
                        {
                            if (t >= text.Length)
                            {
                                break;
                            }
                            int matched = DoWild(pat, p, text, t, pathName);
                            if (matched != NoMatch)
                            {
                                if (!matchSlash || matched != AbortToStarStar)
                                {
                                    return matched;
                                }
                            }
                            else if (!matchSlash && text[t] == '/')
                            {
                                return AbortToStarStar;
                            }
                            t++;
                        }
                        return AbortAll;
                    }

                    case '[':
                    {
                        p++;
                        pCh = At(pat, p);
                        if (pCh == '^')
                        {
                            pCh = '!';
                        }
                        bool negated = pCh == '!';
                        if (negated)
                        {
                            p++;
                            pCh = At(pat, p);
                        }
                        char prevCh = '\0';
                        bool matchedSet = false;
                        do
                        {
                            if (p >= pat.Length)
                            {
                                return AbortAll;
                            }
                            if (pCh == '\\')
                            {
                                p++;
                                if (p >= pat.Length)
                                {
                                    return AbortAll;
                                }
                                pCh = pat[p];
                                if (tCh == pCh)
                                {
                                    matchedSet = true;
                                }
                            }
                            else if (pCh == '-' && prevCh != '\0' && p + 1 < pat.Length && pat[p + 1] != ']')
                            {
                                p++;
                                pCh = pat[p];
                                if (pCh == '\\')
                                {
                                    p++;
                                    if (p >= pat.Length)
                                    {
                                        return AbortAll;
                                    }
                                    pCh = pat[p];
                                }
                                if (tCh <= pCh && tCh >= prevCh)
                                {
                                    matchedSet = true;
                                }
                                pCh = '\0';
                            }
                            else if (pCh == '[' && At(pat, p + 1) == ':')
                            {
                                int s = p + 2;
                                int q = s;
                                while (q < pat.Length && pat[q] != ']')
                                {
                                    q++;
                                }
                                if (q >= pat.Length)
                                {
                                    return AbortAll;
                                }
                                int len = q - s - 1;
                                if (len < 0 || pat[q - 1] != ':')
                                {
                                    // no ":]": an ordinary '['
                                    pCh = '[';
                                    if (tCh == pCh)
                                    {
                                        matchedSet = true;
                                    }
                                }
                                else
                                {
                                    string cls = pat.Substring(s, len);
                                    int inClass = InClass(cls, tCh);
                                    if (inClass < 0)
                                    {
                                        return AbortAll;
                                    }
                                    if (inClass > 0)
                                    {
                                        matchedSet = true;
                                    }
                                    p = q;
                                    pCh = '\0';
                                }
                            }
                            else if (tCh == pCh)
                            {
                                matchedSet = true;
                            }
                            prevCh = pCh;
                            p++;
                            pCh = At(pat, p);
                        }
                        while (pCh != ']' || p >= pat.Length);

                        if (matchedSet == negated || (pathName && tCh == '/'))
                        {
                            return NoMatch;
                        }
                        break;
                    }

                    default:
                        if (tCh != pCh)
                        {
                            return NoMatch;
                        }
                        break;
                }
            }
            return t < text.Length ? NoMatch : Match;
        }

        private static int InClass(string cls, char c)
        {
            switch (cls)
            {
                case "alnum": return char.IsLetterOrDigit(c) && c < 128 ? 1 : 0;
                case "alpha": return char.IsLetter(c) && c < 128 ? 1 : 0;
                case "blank": return c == ' ' || c == '\t' ? 1 : 0;
                case "cntrl": return c < 32 || c == 127 ? 1 : 0;
                case "digit": return c >= '0' && c <= '9' ? 1 : 0;
                case "graph": return c > 32 && c < 127 ? 1 : 0;
                case "lower": return c >= 'a' && c <= 'z' ? 1 : 0;
                case "print": return c >= 32 && c < 127 ? 1 : 0;
                case "punct": return c > 32 && c < 127 && !char.IsLetterOrDigit(c) ? 1 : 0;
                case "space": return c == ' ' || (c >= '\t' && c <= '\r') ? 1 : 0;
                case "upper": return c >= 'A' && c <= 'Z' ? 1 : 0;
                case "xdigit": return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ? 1 : 0;
                default: return -1;
            }
        }
    }
}
