using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Customs.Ledger.Hsm;

/// <summary>
/// A logged-in PKCS#11 token: finds and generates the node's key pairs and lends sessions to the operations on them.
/// Thread-safe (each operation runs on a session of its own; PKCS#11 sessions are not shared between threads).
/// </summary>
/// <remarks>
/// A module is loaded once per process and never unloaded (C_Initialize may be called once); the user is logged in on
/// the first session (the login holds for every session of the process and ends when the last one closes). Private keys
/// are generated sensitive and non-extractable, and a key found extractable is refused: the token keeps it.
/// </remarks>
public sealed class Pkcs11Token : IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<IPkcs11Library>> Libraries = new(StringComparer.Ordinal);
    private static readonly Pkcs11InteropFactories Factories = new();
    private static int _resolverSet;

    private readonly ISlot _slot;
    private readonly ConcurrentBag<ISession> _idle = [];
    private int _disposed;

    private Pkcs11Token(ISlot slot, string label)
    {
        _slot = slot;
        Label = label;
    }

    /// <summary>The token's label.</summary>
    public string Label { get; }

    internal static Pkcs11InteropFactories Factory => Factories;

    /// <summary>Loads the module, finds the token by label and logs the user in.</summary>
    /// <exception cref="Pkcs11KeyException">No such module or token, or the PIN is refused.</exception>
    public static Pkcs11Token Open(string module, string tokenLabel, string pin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenLabel);
        ArgumentNullException.ThrowIfNull(pin);
        var library = Load(module);
        ISlot? slot;
        try
        {
            slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => string.Equals(s.GetTokenInfo().Label.Trim(), tokenLabel, StringComparison.Ordinal));
        }
        catch (Pkcs11Exception ex)
        {
            throw new Pkcs11KeyException($"the PKCS#11 module {module} cannot list its tokens ({ex.RV})", ex);
        }

        if (slot is null)
        {
            throw new Pkcs11KeyException($"no token labelled '{tokenLabel}' in the PKCS#11 module {module}");
        }

        var token = new Pkcs11Token(slot, tokenLabel);
        var session = token.Rent();
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Another part of this process (a second node on the same token) logged in already.
        }
        catch (Pkcs11Exception ex)
        {
            session.Dispose();
            throw new Pkcs11KeyException(ex.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED
                ? $"the token '{tokenLabel}' refused the PIN ({ex.RV})"
                : $"cannot log in to the token '{tokenLabel}' ({ex.RV})", ex);
        }

        token.Return(session);
        return token;
    }

    /// <summary>
    /// Initialises a new token in the module's free slot, with its security officer PIN and user PIN — for software
    /// tokens (SoftHSM offers one free slot at a time) in tests and pilots. A hardware HSM's tokens are initialised with
    /// its vendor's tools during the key ceremony.
    /// </summary>
    /// <exception cref="Pkcs11KeyException">No free slot, or the module refused.</exception>
    public static void InitializeToken(string module, string label, string securityOfficerPin, string userPin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        var library = Load(module);
        try
        {
            var free = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => !s.GetTokenInfo().TokenFlags.TokenInitialized)
                ?? throw new Pkcs11KeyException($"the PKCS#11 module {module} has no free slot for a new token");
            free.InitToken(securityOfficerPin, label);

            // Initialising re-numbers the slot (SoftHSM): find the token again by its label.
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).First(s => string.Equals(s.GetTokenInfo().Label.Trim(), label, StringComparison.Ordinal));
            using var session = slot.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_SO, securityOfficerPin);
            session.InitPin(userPin);
            session.Logout();
        }
        catch (Pkcs11Exception ex)
        {
            throw new Pkcs11KeyException($"the PKCS#11 module {module} could not initialise the token '{label}' ({ex.RV})", ex);
        }
    }

    /// <summary>CKM_ECDSA over a 32-byte digest with <paramref name="privateKey"/>: the token's r ‖ s.</summary>
    internal byte[] SignDigest(IObjectHandle privateKey, ReadOnlySpan<byte> digest)
    {
        if (digest.Length != 32)
        {
            throw new ArgumentException("A digest is 32 bytes.", nameof(digest));
        }

        var data = digest.ToArray();
        return Use(session =>
        {
            try
            {
                return session.Sign(Factory.MechanismFactory.Create(CKM.CKM_ECDSA), privateKey, data);
            }
            catch (Pkcs11Exception ex)
            {
                throw new Pkcs11KeyException($"the token '{Label}' could not sign ({ex.RV})", ex);
            }
        });
    }

    /// <summary>Whether a key pair labelled <paramref name="label"/> exists.</summary>
    public bool HasKeyPair(string label) => Use(s => Find(s, CKO.CKO_PRIVATE_KEY, label) is not null);

    /// <summary>
    /// Generates a key pair on the token: private key sensitive, non-extractable, for signing and key agreement; public key
    /// for verification; both persistent, labelled <paramref name="label"/>, with a random CKA_ID. Returns the public point
    /// (65 bytes, uncompressed).
    /// </summary>
    /// <exception cref="Pkcs11KeyException">A key with the label exists, or the token cannot generate the curve.</exception>
    public byte[] GenerateKeyPair(Pkcs11Curve curve, string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return Use(session =>
        {
            if (Find(session, CKO.CKO_PRIVATE_KEY, label) is not null)
            {
                throw new Pkcs11KeyException($"the token '{Label}' already holds a key labelled '{label}'");
            }

            var id = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
            var a = Factories.ObjectAttributeFactory;
            List<IObjectAttribute> publicTemplate =
            [
                a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, false), a.Create(CKA.CKA_VERIFY, true),
                a.Create(CKA.CKA_EC_PARAMS, Pkcs11Curves.Parameters(curve)), a.Create(CKA.CKA_LABEL, label), a.Create(CKA.CKA_ID, id),
            ];
            List<IObjectAttribute> privateTemplate =
            [
                a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SENSITIVE, true),
                a.Create(CKA.CKA_EXTRACTABLE, false), a.Create(CKA.CKA_SIGN, true), a.Create(CKA.CKA_DERIVE, curve == Pkcs11Curve.Secp256k1),
                a.Create(CKA.CKA_LABEL, label), a.Create(CKA.CKA_ID, id),
            ];
            try
            {
                session.GenerateKeyPair(Factories.MechanismFactory.Create(CKM.CKM_EC_KEY_PAIR_GEN), publicTemplate, privateTemplate, out var publicKey, out _);
                return ReadPoint(session, publicKey);
            }
            catch (Pkcs11Exception ex)
            {
                throw new Pkcs11KeyException($"the token '{Label}' could not generate a {curve} key pair ({ex.RV})", ex);
            }
        });
    }

    /// <summary>
    /// Finds the key pair labelled <paramref name="label"/>: the private key's handle and the public point (65 bytes).
    /// </summary>
    /// <exception cref="Pkcs11KeyException">No such pair, another curve, or a private key the token would let out.</exception>
    internal (IObjectHandle PrivateKey, byte[] PublicPoint) FindKeyPair(Pkcs11Curve curve, string label) => Use(session =>
    {
        var privateKey = Find(session, CKO.CKO_PRIVATE_KEY, label) ?? throw new Pkcs11KeyException($"the token '{Label}' holds no private key labelled '{label}'");
        var publicKey = Find(session, CKO.CKO_PUBLIC_KEY, label) ?? throw new Pkcs11KeyException($"the token '{Label}' holds no public key labelled '{label}' beside the private key");
        var attributes = session.GetAttributeValue(privateKey, [CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, CKA.CKA_EC_PARAMS]);
        if (attributes[0].GetValueAsBool() || !attributes[1].GetValueAsBool())
        {
            throw new Pkcs11KeyException($"the private key '{label}' on the token '{Label}' is extractable or not sensitive: generate it non-extractable (customs-ledger init --pkcs11-…)");
        }

        if (!attributes[2].GetValueAsByteArray().AsSpan().SequenceEqual(Pkcs11Curves.Parameters(curve)))
        {
            throw new Pkcs11KeyException($"the key '{label}' on the token '{Label}' is not a {curve} key");
        }

        return (privateKey, ReadPoint(session, publicKey));
    });

    /// <summary>Runs <paramref name="operation"/> on a session of its own.</summary>
    internal T Use<T>(Func<ISession, T> operation)
    {
        // The session goes back to the pool (Return), or is disposed when the token lost it.
#pragma warning disable CA2000
        var session = Rent();
#pragma warning restore CA2000
        try
        {
            return operation(session);
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_DEVICE_REMOVED or CKR.CKR_TOKEN_NOT_PRESENT)
        {
            session.Dispose();
            session = null;
            throw new Pkcs11KeyException($"the token '{Label}' is gone or closed the session ({ex.RV})", ex);
        }
        finally
        {
            if (session is not null)
            {
                Return(session);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    private ISession Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _idle.TryTake(out var session) ? session : _slot.OpenSession(SessionType.ReadWrite);
    }

    private void Return(ISession session)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
    }

    private static IObjectHandle? Find(ISession session, CKO objectClass, string label)
    {
        var a = Factories.ObjectAttributeFactory;
        var found = session.FindAllObjects([a.Create(CKA.CKA_CLASS, objectClass), a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC), a.Create(CKA.CKA_LABEL, label)]);
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw new Pkcs11KeyException($"the token holds {found.Count} keys labelled '{label}': labels must be unique"),
        };
    }

    private static byte[] ReadPoint(ISession session, IObjectHandle publicKey) =>
        Pkcs11Curves.UncompressedPoint(session.GetAttributeValue(publicKey, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray());

    private static IPkcs11Library Load(string module)
    {
        if (!File.Exists(module))
        {
            throw new Pkcs11KeyException($"the PKCS#11 module {module} does not exist");
        }

        EnsureResolver();
        var lazy = Libraries.GetOrAdd(module, path => new Lazy<IPkcs11Library>(() => Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded)));
        try
        {
            return lazy.Value;
        }
        catch (Exception ex) when (ex is Pkcs11Exception or UnmanagedException or DllNotFoundException)
        {
            Libraries.TryRemove(module, out _);
            throw new Pkcs11KeyException($"the PKCS#11 module {module} cannot be loaded ({ex.Message})", ex);
        }
    }

    // Pkcs11Interop imports dlopen from "libdl", which glibc 2.34+ systems ship only as libdl.so.2 (the unversioned name
    // comes with the C development files): resolve it to the runtime library.
    private static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 0 && OperatingSystem.IsLinux())
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, static (name, _, _) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
    }
}
